"""The plan's notify and failover sections: a valid baseline, one change per case, the exact message."""

from __future__ import annotations

from typing import Any

import pytest

from continuity.plan import PlanError, parse_plan
from tests.conftest import changed, plan_document

BASE = changed(
    plan_document(),
    "notify",
    {"email": ["oncall@example.com"], "webhooks": ["https://events.pagerduty.com/integration/abc/enqueue"]},
)
F = "plan.yaml"


def test_baseline_parses() -> None:
    plan = parse_plan(BASE, F)
    assert plan.notify.email == ["oncall@example.com"]
    assert plan.notify.webhooks == ["https://events.pagerduty.com/integration/abc/enqueue"]
    assert plan.failover == "manual"
    assert not plan.automatic_failover


def test_sections_are_optional() -> None:
    plan = parse_plan(plan_document(), F)
    assert (plan.notify.email, plan.notify.webhooks, plan.failover) == ([], [], "manual")


@pytest.mark.parametrize(
    ("document", "messages"),
    [
        pytest.param(
            changed(BASE, "notify.email", ["oncall"]),
            [f'{F}: notify.email.0: "oncall" is not an email address'],
            id="not_an_email",
        ),
        pytest.param(
            changed(BASE, "notify.email", "oncall@example.com"),
            [f'{F}: notify.email: "oncall@example.com" is not a list of email addresses'],
            id="email_not_a_list",
        ),
        pytest.param(
            changed(BASE, "notify.webhooks", ["http://hooks.example.com/x"]),
            [f'{F}: notify.webhooks.0: "http://hooks.example.com/x" is not an https:// URL'],
            id="plain_http",
        ),
        pytest.param(
            changed(BASE, "notify.webhooks", ["https:///no-host"]),
            [f'{F}: notify.webhooks.0: "https:///no-host" is not an https:// URL'],
            id="no_host",
        ),
        pytest.param(
            changed(BASE, "notify.webhooks", ["https://hooks.example.com/a b"]),
            [f'{F}: notify.webhooks.0: "https://hooks.example.com/a b" is not an https:// URL'],
            id="whitespace",
        ),
        pytest.param(
            changed(BASE, "notify.email", ["a@example.com", "b@example.com", "a@example.com"]),
            [f'{F}: notify.email: "a@example.com" is listed twice'],
            id="duplicate_email",
        ),
        pytest.param(
            changed(BASE, "notify.pager", ["x"]),
            [f"{F}: notify.pager: unknown key (allowed: email, webhooks)"],
            id="unknown_key",
        ),
        pytest.param(
            changed(BASE, "failover", "sometimes"),
            [f"{F}: failover: \"sometimes\" is not one of 'manual' or 'automatic'"],
            id="unknown_failover",
        ),
        pytest.param(
            changed(changed(BASE, "failover", "automatic"), "services", {}),
            [f"{F}: failover: automatic needs a service: the primary's health check is what triggers it"],
            id="automatic_without_services",
        ),
    ],
)
def test_rule(document: dict[str, Any], messages: list[str]) -> None:
    with pytest.raises(PlanError) as err:
        parse_plan(document, F)
    assert err.value.messages == messages

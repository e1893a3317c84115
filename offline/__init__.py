"""Running the Pulumi program without the Pulumi CLI or AWS: mocks, and a moto-backed emulation."""

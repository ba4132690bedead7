"""The request flow: intake (checks and acceptance), production (fetch, prepare, provider call),
delivery, failures, and the member's status while a job waits or runs."""

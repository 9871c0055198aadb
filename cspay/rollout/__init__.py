"""Before a policy reaches agents: pitfall warnings, comparison with today's policy, and test cases."""

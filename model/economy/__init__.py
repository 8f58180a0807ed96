"""The economy: the agent-based model of Jiangxi's above-scale industrial enterprises."""

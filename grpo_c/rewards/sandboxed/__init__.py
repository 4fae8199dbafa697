"""Programs the code reward runs inside the sandbox, as scripts (python harness.py); they are
read as text by grpo_c.rewards.code and never imported."""

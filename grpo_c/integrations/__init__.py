"""Drop-in reward functions under their former import paths (``grpo_c.integrations.trl``,
``grpo_c.integrations.verl``): each re-exports its :mod:`grpo_c.frameworks` module's rewards."""

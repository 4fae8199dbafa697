"""Drop-in reward functions with the calling conventions of TRL/open-r1 and verl."""

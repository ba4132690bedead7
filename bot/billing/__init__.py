"""Billing: what requests cost, what a guild's policy allows and reserves, and the usage rows."""

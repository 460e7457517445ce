"""Evaluation: turn a checked policy and a søknad into a decision."""

"""Regression tests for the outside probe's findings (issue 14): each fails on the code before its fix."""

"""Tests of the indicators, the dashboard and the annual report."""

"""Tests of the review inbox, the labels and the quality gate."""

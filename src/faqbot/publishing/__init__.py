"""Making a version worth publishing: build, regression gate, calibration, evaluation.

May import: the kernel up to answering (not operations, its sibling).
"""

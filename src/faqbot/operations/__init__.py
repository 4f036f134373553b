"""Running faqbot: metrics, logs, the feedback store, unanswered questions, reports.

May import: the kernel up to answering (not publishing, its sibling).
"""

"""Text every flow shares: question normalisation, words, stop words and stemming.

May import: the kernel only (faqbot, errors, settings, models, files).
"""

"""Text every flow shares: question normalisation, words, stop words, stemming, one-edit variants.

May import: the kernel only (faqbot, errors, settings, models, files).
"""

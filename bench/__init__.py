"""faqbot's benchmark harness: `make bench` (see bench/README.md). Not run by CI."""

"""Pure domain: question sets, conditions, answer values and summary math. No I/O frameworks."""

"""Great Expectations suites for the raw tables and the code that runs them as asset checks."""

"""Bad-input tests, one module per class of refusal (see README, "What the library refuses").

Each case calls one public entry point with one bad input and asserts the exception type
and that the message names the parameter (or the quantity refused) and the offending value.
``test_coverage`` checks that every public function and class is covered or exempt.
"""

"""An example vendor adapter for kipu-harness: drivers for "Acme", whose API has its own shape.

- :mod:`.plugin` registers the driver ``acme`` (entry point group ``kipu_harness``).
- :mod:`.drivers` implements the contract (``kipu_harness.contract``) against Acme's API.
- :mod:`.gateway` is a stand-in for Acme's deployment: kipu-harness's mocks behind Acme's routes,
  envelopes and error shape, so the example can be tried without an Acme account.
"""

"""The plugin kipu-harness finds through the entry point: it offers the driver ``acme``."""

from kipu_harness import hookimpl

from .drivers import AcmeCrm, AcmeEmr, AcmePayer, AcmeRcm


@hookimpl
def harness_register_drivers(register):
    register("acme", crm=AcmeCrm, emr=AcmeEmr, rcm=AcmeRcm, payer=AcmePayer,
             description="Acme's API: /acme/v1 routes, {data: ...} envelopes, Acme's own error shape")

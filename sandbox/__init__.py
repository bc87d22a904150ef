"""The local sandbox: scenario loading and loopback stand-ins for every data source.

Import the submodules directly (`sandbox.scenario`, `.aws`, `.prometheus` ...); this package
stays light so that loading a scenario does not import moto or start anything.
"""

"""The ``lokikirja`` console script: every module of ``service/commands`` attaches its commands."""

import importlib
import pkgutil

import service.commands
from service.app import main

for _module in pkgutil.iter_modules(service.commands.__path__):
    importlib.import_module(f"service.commands.{_module.name}")

__all__ = ["main"]

"""Dagster resources: the archase config, loaded from its file for each run."""

from __future__ import annotations

import dagster as dg

from archase_pipeline.config import ArchaseConfig, load_config


class ArchaseSettings(dg.ConfigurableResource):
    """Points the assets at one config file (shown in the UI); holds no secrets itself."""

    config_path: str = ""

    def load(self) -> ArchaseConfig:
        return load_config(self.config_path or None)

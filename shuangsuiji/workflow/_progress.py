"""The workflow's progress, public (:mod:`shuangsuiji._progress` holds it): a listener and how to install it."""

from __future__ import annotations

from .._progress import ProgressListener, progress_to

__all__ = ["ProgressListener", "progress_to"]

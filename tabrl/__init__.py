"""TabRL Training Studio: a sentence in, trained robot behaviors out."""

__version__ = "0.1.0"

"""Backends turn normalised texts into one logit per label. Each lives in its own module; torch is imported only by
the transformer backend, and only when a transformer model is loaded."""

"""The evaluation schemes, one module each; every module here is imported by :func:`dudao.evaluation.registry.discover`
and registers its :class:`~dudao.evaluation.registry.Scheme` (its YAML is ``catalog/evaluations/<code>.yaml``)."""

"""Run scenario files: the file format (:mod:`.config`), ``run`` / ``compare`` (:mod:`.run`) and
their results (:mod:`.result`). Import the submodules; this package imports nothing heavy."""

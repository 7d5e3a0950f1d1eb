"""rnnstock: recurrent neural networks on stock prices, honestly evaluated.

The pipeline (see DESIGN.md): specs -> data -> windows -> models -> training
-> evaluation -> forecast, run end to end by ``experiment.run_experiment``.
Import the submodules you need; this package imports nothing heavy.
"""

__version__ = "0.1.0"

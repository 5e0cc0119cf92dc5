"""The emulator's routes, one module per concern; `trainer.emulator.app` assembles them."""

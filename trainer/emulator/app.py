"""The emulator's ASGI app: the OpenAI routes trainer uses, and nothing more, behind `Guard`."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware

from trainer.emulator.middleware import Guard
from trainer.emulator.routes.batches import batch_routes
from trainer.emulator.routes.control import control_routes
from trainer.emulator.routes.files import file_routes
from trainer.emulator.routes.fine_tuning import fine_tuning_routes
from trainer.emulator.routes.models import model_routes
from trainer.emulator.state import EmulatorState


def build_app(state: EmulatorState) -> Starlette:
    return Starlette(
        routes=[
            *file_routes(state),
            *fine_tuning_routes(state),
            *batch_routes(state),
            *model_routes(state),
            *control_routes(state),
        ],
        middleware=[Middleware(Guard, state=state)],
    )

"""TabRL Training Studio: a sentence in, trained robot behaviors out."""

import os as _os

# Headless rendering: MuJoCo picks its GL backend when it is first imported.
_os.environ.setdefault("MUJOCO_GL", "egl")
_os.environ.setdefault("PYOPENGL_PLATFORM", _os.environ["MUJOCO_GL"])

__version__ = "0.1.0"

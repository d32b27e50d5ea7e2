"""Policies that leave the studio: ONNX graph, controller sidecar and the MuJoCo model they ran on."""

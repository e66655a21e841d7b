"""Writes the .npy files ExportTests compares jvplab's export with, byte for byte, using real numpy.

Run with ~/torchenv/bin/python tools/numpy_fixtures.py; the arrays match the ones the test builds.
"""
import os
import numpy as np

out = os.path.join(os.path.dirname(__file__), "..", "Tests", "JVPLabTests", "Fixtures", "numpy")
arrays = {
    "float32_2x3": np.array([[1.5, -2.0, 0.0], [3.25, -0.0, 7.0]], dtype="<f4"),
    "float64_5": np.array([0.1, -1e300, float("inf"), float("-inf"), 2.5], dtype="<f8"),
    "int64_scalar": np.array(-42, dtype="<i8"),
    "bool_2x2x2": np.array([[[True, False], [False, True]], [[True, True], [False, False]]], dtype="|b1"),
    "float32_0x4": np.zeros((0, 4), dtype="<f4"),
}
for name, array in arrays.items():
    np.save(os.path.join(out, name + ".npy"), array)

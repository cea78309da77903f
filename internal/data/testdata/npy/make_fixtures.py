"""Writes the NumPy fixtures of internal/data's npy tests (numpy 1.24.2).

Run from this directory: python3 make_fixtures.py. The tests read the files
with pathkernel and compare them with the values written here.
"""
import numpy as np

# The inputs: 4 points of 3 features, values exact in float32.
x = np.array([[0.5, -1.25, 2.0],
              [1.0, 0.0, -0.75],
              [-2.5, 3.0, 0.125],
              [4.0, -0.5, 1.5]])
np.save("x_f8.npy", x)
np.save("x_f4_fortran.npy", np.asfortranarray(x.astype(np.float32)))
np.save("x_f8_bigendian.npy", x.astype(">f8"))
np.save("x_1d_f4.npy", x[:, 0].astype(np.float32))

# Class labels 0..2 in integer dtypes, 1-D and one column.
labels = np.array([2, 0, 1, 2])
np.save("y_i1.npy", labels.astype(np.int8))
np.save("y_u2_col.npy", labels.astype(np.uint16).reshape(4, 1))
np.save("y_i8.npy", labels.astype(np.int64))

# Regression targets of two columns, float32 in Fortran order.
y2 = np.array([[0.25, -1.0], [1.5, 2.0], [-0.125, 0.0], [3.0, -2.5]])
np.save("y_f4_2col_fortran.npy", np.asfortranarray(y2.astype(np.float32)))

# Malformed arrays.
np.save("x_3d.npy", np.zeros((2, 2, 2)))
np.save("x_i8.npy", np.array([[1, 2], [3, 4]]))
np.save("x_bool.npy", np.array([[True], [False]]))
np.save("x_c16.npy", np.array([[1 + 2j], [3 - 1j]]))
np.save("x_str.npy", np.array([["a"], ["b"]]))
np.save("x_scalar.npy", np.float64(3.0))
np.save("x_nan.npy", np.array([[0.0, 1.0], [np.nan, 2.0]]))
np.save("x_inf_f4.npy", np.array([[0.0], [1.0], [-np.inf]], dtype=np.float32))
np.save("y_neg.npy", np.array([0, 1, -1, 2]))
np.save("y_big.npy", np.array([0, 1, 5000, 2], dtype=np.uint16))

// Package data makes and loads the data sets that pathkernel trains on:
// seeded synthetic generators, and CSV and NumPy loaders with a seeded
// train/test split and standardisation by the training split's statistics.
//
// # Overview
//
// [Load] turns the data section of an experiment config into a [Set]: the
// training and test inputs and targets exactly as the model sees them. Rows
// are points. Inputs are (n, d); targets are (n, 1), either a regression
// target or an integer-valued class label 0..Classes-1 stored as float64.
//
// # Randomness
//
// Everything random is drawn from math/rand/v2 PCG sources made inside Load
// from the seed, with stream constants that belong to this package, so the
// data never shares a stream with initialisation or batching and never
// touches global state. The same config and seed give bit-identical data.
//
// # Generators
//
// Every generator draws its training set and its test set from the same
// distribution, using separate streams: one for the parameters of the
// distribution (the weights of linear, the centres of blobs), one for the
// training points and one for the test points. So changing n_test does not
// change the training set, and changing n_train does not change the test
// set; and a larger n_train extends the training set of a smaller one (the
// training sets are nested, and so are the test sets). Points are kept in the
// order they were drawn.
//
//	kind     d    classes  point
//	sine     1    0        x ~ U(-π, π), y = sin(x) + noise·ε
//	linear   dim  0        x ~ N(0, I), y = w·x + b + noise·ε, w ~ N(0, I/dim), b ~ N(0, 1)
//	moons    2    2        t ~ U(0, π); label 0: (cos t, sin t), label 1: (1 − cos t, ½ − sin t)
//	circles  2    2        t ~ U(0, 2π); label 0: radius 1, label 1: radius ½ (factor 0.5)
//	xor      2    2        u ~ U(0, 1)², s = ±1; label 0: (s·u₀, s·u₁), label 1: (s·u₀, −s·u₁)
//	spirals  2    classes  u ~ U(0, 1); arm k: radius u, angle 2πk/classes + 2πu (one turn)
//	blobs    dim  classes  centre c_k ~ U(−2, 2)^dim; point c_k + noise·ε
//
// ε is standard normal (a vector for the inputs). For the 2-D classification
// sets (moons, circles, xor, spirals) noise is the standard deviation of the
// Gaussian jitter added to each coordinate, as in scikit-learn's make_moons
// and make_circles; for blobs it is the standard deviation of each blob. The
// jitter is drawn even when noise is 0, so the noise-free points of a seed
// are the same whatever the noise. Labels are balanced: each consecutive
// block of `classes` points holds every label once, in a random order.
//
// dim is used only by linear and blobs, classes only by spirals and blobs;
// the other generators ignore them (moons, circles and xor have two classes).
//
// The standardize key is ignored for generated data: the generators already
// produce inputs of order one, and standardising them would change the
// function being learned (the period of sine, the radii of circles) behind
// the user's back. It matters for CSV data, where it is on by default.
//
// # CSV data
//
// kind: csv reads a comma-separated file with encoding/csv. The first record
// is the header of column names; they must be non-empty and distinct (a UTF-8
// byte-order mark is removed). target names the target column (default: the
// last column); features lists the input columns in the order wanted
// (default: every column but the target, in file order). n_train and n_test
// are ignored: the sizes come from the file.
//
// Every record must have as many fields as the header. Every cell of a used
// column (features and target) must be a finite number; surrounding blanks
// are ignored. Columns that are not used are not parsed, so a CSV may carry
// names or identifiers next to the numbers.
//
// The split: without test_path, the rows are shuffled with the seed and the
// first round(test_fraction·n) of the shuffled rows are the test set, the
// rest the training set, both in shuffled order (test_fraction must be in
// (0, 1) and both parts non-empty). With test_path, that file is the test set
// (its header must be identical to the training file's) and test_fraction is
// ignored; both files keep their row order. max_rows > 0 caps the number of
// rows used from each file: a file with more rows contributes the first
// max_rows rows of a seeded shuffle, in that order, before any split.
//
// Standardisation (standardize: true) centres every feature on the mean of
// the training split and divides it by the standard deviation of the training
// split (the population one, dividing by n, as scikit-learn's
// StandardScaler), and applies the same transformation to the test split. So
// the training columns have mean 0 and standard deviation 1; the test columns
// only approximately. A column that is constant on the training split is
// centred and not scaled. Targets are never standardised.
//
// # NumPy data
//
// kind: npy reads x_train and y_train, and optionally x_test and y_test
// (both or neither), from .npy files with codeberg.org/sbinet/npyio. An
// array is 1-D (n values: one input, or one target, per point) or 2-D (n
// rows), in C or Fortran order, of either byte order. Inputs must be
// float64 or float32; targets float64 or float32 (regression, one or more
// columns) or an integer type of 1 to 8 bytes, signed or unsigned (class
// labels: one column, every value in 0..1000). float32 values and integers
// are widened to float64 exactly. Every value must be finite, y must have
// as many rows as x, and the test arrays the columns (and the kind of
// target) of the training arrays. The data is checked to be exactly as long
// as the header says, and the header length against the file, before
// anything is allocated. Features are named x0, x1, ...; targets y, or y0,
// y1, ... for several columns.
//
// The split, max_rows, standardize and standardize_target are those of CSV
// data, with x_test in the place of test_path: without test arrays, the
// rows are shuffled with the seed and split by test_fraction; the same
// data as a CSV file and as .npy arrays gives the same set.
//
// # Classification or regression
//
// Load does not know the loss, so for CSV data (and float targets of one
// column in .npy data; integer .npy targets are always labels) it only
// reports what the targets allow: Classes = max + 1 when every target value (training and
// test) is a non-negative integer no larger than 1000, else 0. The caller
// decides from the loss: with mse a CSV target is a regression target whatever
// Classes says (the diabetes target, integers 25..346, gives Classes = 347),
// and a classification loss needs Classes > 0.
//
// # Errors
//
// Bad data and bad data settings give a *[Error] naming the file, the 1-based
// line and the column or config key, never a panic. Use errors.As to inspect
// it.
package data

"""What the notebooks' demonstrations use: data, training loops, figures. Nothing here is graded.

One module per purpose, imported as ``from course_utils.demos import <module>`` or
``from course_utils.demos.<module> import <name>``:

- ``data``: ``load_digits``, the course's one data helper (real digits shipped inside
  installed packages; notebooks 05 to 08);
- ``scaling``: the gradient-descent and timing helpers of notebooks 01 and 02;
- ``bn``: the computational graph figure (notebook 04) and a small torch trainer (05);
- ``numpy_mlp``: a multilayer perceptron in numpy that trains the student's BatchNorm1d (05);
- ``conv``: small CNNs, their training loop, the batch-size sweep and the normalization
  cubes (06 and 07);
- ``mnist_experiment``: the paper's MNIST network, Figure 1 and the search helpers (08).

Importing this package imports none of them (some import torch).
"""

"""Notebook 05: batch norm at inference: population statistics, running averages, eval mode.

Ioffe & Szegedy (2015), Section 3.1 and Algorithm 2. A trained network must give each input
one answer whatever else is in its batch, so at inference batch norm normalizes with fixed
*population* statistics instead of the batch's own:

    E[x]   = average of the batch means                      (over K batches of size m)
    Var[x] = m / (m - 1) * average of the biased batch variances
    y      = gamma * (x - E[x]) / sqrt(Var[x] + eps) + beta

The m / (m - 1) factor undoes the bias of the batch variance: E[sigma_B^2] = (m-1)/m sigma^2.
Frameworks keep the estimates up to date during training with an exponential moving
average; PyTorch's convention (the course's):

    running = (1 - momentum) * running + momentum * batch_stat,   momentum = 0.1,

with the batch variance corrected by m / (m - 1) before it enters the average.
"""

from __future__ import annotations

import numpy as np

from ._validate import as_float_array, param_vector, positive_eps, require_batch

__all__ = ["update_running_stats", "population_statistics", "batchnorm_inference",
           "BatchNorm1d"]


def _batch_size(m) -> int:
    if isinstance(m, bool) or not float(m).is_integer():
        raise ValueError(f"m is the batch size, a whole number; got {m!r}")
    m = int(m)
    if m < 2:
        raise ValueError(f"m = {m}: a batch of one example has no variance to correct "
                         "(m / (m - 1) is undefined); m must be at least 2")
    return m


def _momentum(momentum) -> float:
    momentum = float(momentum)
    if not 0.0 <= momentum <= 1.0:
        raise ValueError(f"momentum is the weight of the new batch, between 0 and 1; got "
                         f"{momentum}")
    return momentum


def update_running_stats(running_mean, running_var, batch_mean, batch_var, m, momentum=0.1):
    """One step of PyTorch's running-statistics update.

    ``new_mean = (1 - momentum) * running_mean + momentum * batch_mean``
    ``new_var  = (1 - momentum) * running_var  + momentum * batch_var * m / (m - 1)``

    Parameters
    ----------
    running_mean, running_var : ndarray of shape (D,)
        The current estimates. Not modified.
    batch_mean, batch_var : ndarray of shape (D,)
        The statistics of one batch; ``batch_var`` is the biased one (divided by m).
    m : int >= 2
        The batch size.
    momentum : float in [0, 1]
        The weight of the new batch (PyTorch's meaning; Keras's ``momentum`` is 1 minus it).

    Returns
    -------
    new_mean, new_var : ndarray of shape (D,)
    """
    arrays = [as_float_array(a, name, ndim=1, shape_hint="(D,): one value per feature")
              for a, name in ((running_mean, "running_mean"), (running_var, "running_var"),
                              (batch_mean, "batch_mean"), (batch_var, "batch_var"))]
    shapes = {a.shape for a in arrays}
    if len(shapes) != 1:
        raise ValueError(f"running_mean, running_var, batch_mean and batch_var must all have "
                         f"shape (D,); got {[a.shape for a in arrays]}")
    running_mean, running_var, batch_mean, batch_var = arrays
    m = _batch_size(m)
    momentum = _momentum(momentum)
    new_mean = (1 - momentum) * running_mean + momentum * batch_mean
    new_var = (1 - momentum) * running_var + momentum * (batch_var * (m / (m - 1)))
    return new_mean, new_var


def population_statistics(batch_means, batch_vars, m):
    """Algorithm 2's population statistics from K batches of size m.

    Parameters
    ----------
    batch_means, batch_vars : ndarray of shape (K, D)
        Row k holds batch k's mean and biased variance.
    m : int >= 2
        The size of each batch (not the number of batches K).

    Returns
    -------
    mean : ndarray of shape (D,)
        The average of the batch means.
    var : ndarray of shape (D,)
        ``m / (m - 1)`` times the average of the batch variances.
    """
    batch_means = as_float_array(batch_means, "batch_means", ndim=2,
                                 shape_hint="(K, D): one row per batch")
    batch_vars = as_float_array(batch_vars, "batch_vars", ndim=2,
                                shape_hint="(K, D): one row per batch")
    if batch_means.shape != batch_vars.shape:
        raise ValueError(f"batch_means and batch_vars must have the same shape (K, D); got "
                         f"{batch_means.shape} and {batch_vars.shape}")
    if batch_means.shape[0] < 1:
        raise ValueError("at least one batch is needed")
    m = _batch_size(m)
    return batch_means.mean(axis=0), batch_vars.mean(axis=0) * (m / (m - 1))


def batchnorm_inference(x, gamma, beta, running_mean, running_var, eps=1e-5):
    """Normalize with fixed (running or population) statistics: inference mode.

    ``out = gamma * (x - running_mean) / sqrt(running_var + eps) + beta``; each example is
    normalized on its own, so any batch size works, one included.

    Parameters
    ----------
    x : ndarray of shape (N, D), N >= 1
    gamma, beta, running_mean, running_var : ndarray of shape (D,)
    eps : float

    Returns
    -------
    out : ndarray of shape (N, D), dtype of x
    """
    x = as_float_array(x, "x", ndim=2, shape_hint="(N, D): N examples by D features")
    d = x.shape[1]
    gamma = param_vector(gamma, d, "gamma", x.dtype)
    beta = param_vector(beta, d, "beta", x.dtype)
    running_mean = param_vector(running_mean, d, "running_mean", x.dtype)
    running_var = param_vector(running_var, d, "running_var", x.dtype)
    eps = positive_eps(eps)
    return gamma * (x - running_mean) / np.sqrt(running_var + x.dtype.type(eps)) + beta


class BatchNorm1d:
    """Batch normalization for (N, D) inputs, with PyTorch's interface and conventions.

    In training mode ``forward`` normalizes with the batch's statistics (Algorithm 1) and
    updates the running statistics (:func:`update_running_stats`); in eval mode it
    normalizes with the running statistics (:func:`batchnorm_inference`). ``backward(dout)``
    returns the gradients of the last ``forward``. After the same sequence of batches it
    agrees with ``torch.nn.BatchNorm1d`` (outputs, buffers and autograd's gradients).

    Parameters are what gradient descent learns (``gamma``, ``beta``); ``parameters()``
    returns the module's own arrays, so an optimizer can update them in place. Buffers are
    state that is not learned (``running_mean``, ``running_var``, ``num_batches_tracked``).
    A checkpoint needs both: ``state_dict()``, a snapshot (copies).

    Parameters
    ----------
    num_features : int
        D, the number of features.
    eps : float
    momentum : float in [0, 1] or None
        The weight of the new batch in the running averages (PyTorch's meaning). ``None``
        gives the cumulative average, as in PyTorch: the k-th training batch gets the
        weight 1 / k, so the running statistics are the plain average of all batches so far.
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        if isinstance(num_features, bool) or int(num_features) != num_features or num_features < 1:
            raise ValueError(f"num_features must be a positive integer, got {num_features!r}")
        self.num_features = int(num_features)
        self.eps = positive_eps(eps)
        self.momentum = None if momentum is None else _momentum(momentum)
        self.gamma = np.ones(self.num_features)
        self.beta = np.zeros(self.num_features)
        self.running_mean = np.zeros(self.num_features)
        self.running_var = np.ones(self.num_features)
        self.num_batches_tracked = 0
        self.training = True
        self._cache = None          # what backward needs from the last forward

    def train(self, mode=True):
        """Switch to training mode (batch statistics, running statistics updated)."""
        self.training = bool(mode)
        return self

    def eval(self):
        """Switch to eval mode (running statistics, nothing updated)."""
        return self.train(False)

    def forward(self, x):
        """Normalize a batch x of shape (N, D); returns an array of x's shape and dtype.

        Training mode: ``x_hat = (x - mean) / sqrt(var + eps)`` with the batch's mean and
        biased variance (N >= 2), then one running-statistics update. Eval mode:
        ``x_hat = (x - running_mean) / sqrt(running_var + eps)``, any N >= 1, nothing
        updated. Both return ``gamma * x_hat + beta``.
        """
        x = as_float_array(x, "x", ndim=2, shape_hint="(N, D): N examples by D features")
        if x.shape[1] != self.num_features:
            raise ValueError(f"x has {x.shape[1]} features; this layer was built for "
                             f"{self.num_features}")
        if self.training:
            require_batch(x)
            mean = x.mean(axis=0, dtype=np.float64)
            var = ((x - mean) ** 2).mean(axis=0)
            self.num_batches_tracked += 1
            momentum = (1 / self.num_batches_tracked if self.momentum is None
                        else self.momentum)
            new_mean, new_var = update_running_stats(self.running_mean, self.running_var,
                                                     mean, var, x.shape[0], momentum)
            self.running_mean[...] = new_mean      # buffers change in place, as in PyTorch
            self.running_var[...] = new_var
        else:
            mean, var = self.running_mean, self.running_var
        std = np.sqrt(var + self.eps)
        x_hat = (x - mean) / std
        self._cache = (self.training, x_hat, std, self.gamma.copy(), x.dtype)
        return (self.gamma * x_hat + self.beta).astype(x.dtype)

    __call__ = forward

    def backward(self, dout):
        """Gradients of the last ``forward``: ``(dx, dgamma, dbeta)``.

        ``dbeta = sum(dout)`` and ``dgamma = sum(dout * x_hat)`` over the batch, in both
        modes. ``dx`` depends on the mode the last forward ran in (not the mode now):

        - training: the mean and variance are functions of x (notebook 04's closed form),
          ``dx = gamma / (m * std) * (m * dout - dbeta - x_hat * dgamma)``;
        - eval: the running statistics are constants, so the layer is the affine map
          ``gamma / std * x + const`` and ``dx = dout * gamma / std``.

        Parameters
        ----------
        dout : ndarray of shape (N, D)
            dL/d(out) for the output of the last forward.

        Returns
        -------
        dx : ndarray of shape (N, D), the dtype of the last forward's x
        dgamma, dbeta : ndarray of shape (D,), the same dtype

        Raises
        ------
        ValueError
            Before any forward, or if dout does not have the shape of the last output.
        """
        if self._cache is None:
            raise ValueError("backward() needs a forward() first: it returns the gradients "
                             "of the last forward pass")
        training, x_hat, std, gamma, dtype = self._cache
        dout = as_float_array(dout, "dout", ndim=2, shape_hint="(N, D), like forward's output")
        if dout.shape != x_hat.shape:
            raise ValueError(f"dout has shape {dout.shape}; the last forward returned "
                             f"{x_hat.shape}")
        dbeta = dout.sum(axis=0)
        dgamma = (dout * x_hat).sum(axis=0)
        if training:
            m = dout.shape[0]
            dx = gamma / (m * std) * (m * dout - dbeta - x_hat * dgamma)
        else:
            dx = dout * (gamma / std)
        return dx.astype(dtype), dgamma.astype(dtype), dbeta.astype(dtype)

    def parameters(self):
        """The learned arrays: the module's own, so an optimizer can update them in place."""
        return {"gamma": self.gamma, "beta": self.beta}

    def buffers(self):
        """The state that is not learned but must be saved."""
        return {"running_mean": self.running_mean, "running_var": self.running_var,
                "num_batches_tracked": self.num_batches_tracked}

    def state_dict(self):
        """Everything a checkpoint needs: parameters and buffers, copied (a snapshot)."""
        state = {**self.parameters(), **self.buffers()}
        return {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in state.items()}

    def __repr__(self):
        return (f"BatchNorm1d({self.num_features}, eps={self.eps:g}, momentum={self.momentum}, "
                f"training={self.training}, num_batches_tracked={self.num_batches_tracked})")

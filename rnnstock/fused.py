"""Faster training layers for LSTM and GRU on a CPU, with Keras' own weights and equations.

On a CPU, Keras runs a recurrent layer as a TensorFlow while-loop over the
window and lets autodiff build the backward loop: a dozen small ops per time
step each way, and in the backward loop two small matrix products per step
(one for the state's gradient, one for the weights'). The layers here keep
``keras.layers.LSTM`` / ``keras.layers.GRU`` (same weights, same config, same
equations; ``tests/test_models.py`` and ``tests/test_fused_lstm.py`` check
outputs and gradients against Keras') and only replace that loop:

- **LSTM**: TensorFlow's fused op over the whole sequence, ``BlockLSTM`` (the
  kernel behind tf.compat.v1's ``LSTMBlockFusedCell``): one C++ loop that keeps
  every gate's activation (XLA cannot compile it). Not ``BlockLSTMV2``:
  TF 2.21 registers V1's gradient for it, which reads V2's gates in V1's order.
  The backward pass is written out (``lstm_sequence``) rather than TensorFlow's
  ``BlockLSTMGrad``, which adds one small product per time step for the
  weights' gradient: a loop compiled by XLA (a small program of its own, called
  from the graph) that only carries the gradients of h and c, then the weights'
  gradient as one product over all steps, as the GRU below. A DataCamp epoch
  takes about a fifth less CPU time; the first epoch compiles the loop (about
  0.7 CPU s, 0.2 s once XLA's disk cache has it).
- **GRU**: TensorFlow has no fused GRU for CPUs, so the backward pass is
  written out (``tf.custom_gradient``) the way cuDNN does it: the loop only
  carries the state's gradient, and the gradients of the weights are one
  large matrix product over all time steps at the end instead of one small
  product per step.

Both only take over where their assumptions hold (tanh/sigmoid, no mask, no
recurrent dropout, biases on, GRU's ``reset_after``); anything else falls
back to Keras' loop. After training, ``models.standard_model`` copies the
weights into plain Keras layers, so what is saved and downloaded loads in
any Keras without rnnstock. Figures: bench/README.md (levers).
"""

from __future__ import annotations

from functools import cache

from rnnstock import config
from rnnstock.backend import import_keras
from rnnstock.specs import ModelSpec

FUSED_CELLS = ("LSTM", "GRU")


def fused_applies(spec: ModelSpec) -> bool:
    """Whether ``spec`` trains with a fused layer (``build_model(..., fused=True)``).

    LSTM and GRU with tanh, on TensorFlow without a GPU (where Keras uses
    cuDNN, faster still). ``RNNSTOCK_FUSED=0`` turns it off.
    """
    if spec.cell not in FUSED_CELLS or spec.activation != "tanh":
        return False
    if not config.fused():
        return False
    keras = import_keras()
    if keras.backend.backend() != "tensorflow":
        return False
    import tensorflow as tf

    return not tf.config.list_physical_devices("GPU")


def fused_class(cell: str):
    """The fused Keras layer class for ``cell`` ("LSTM" or "GRU")."""
    classes = _fused_classes()
    if cell not in classes:
        raise ValueError(f"No fused layer for {cell}; use keras.layers.{cell}.")
    return classes[cell]


@cache
def _fused_classes() -> dict[str, type]:
    keras = import_keras()
    import tensorflow as tf

    tanh, sigmoid = keras.activations.tanh, keras.activations.sigmoid

    def icfo(tensor):
        """Keras orders the LSTM gates i, f, c, o on the last axis; BlockLSTM wants i, c, f, o."""
        i, f, c, o = tf.split(tensor, 4, axis=-1)
        return tf.concat([i, c, f, o], axis=-1)

    def time_major(layer, sequences):
        x = tf.transpose(sequences, (1, 0, 2))
        return tf.reverse(x, axis=[0]) if layer.go_backwards else x

    def keras_outputs(layer, states):
        """(last output, outputs, …) as Keras' loop returns them, from time-major states."""
        last = states[-1]
        outputs = tf.transpose(states, (1, 0, 2)) if layer.return_sequences else last[:, None]
        return last, outputs

    def plain_loop_needed(layer, mask, training) -> bool:
        cell = layer.cell
        return (
            mask is not None
            or layer.unroll
            or bool(cell.recurrent_dropout)
            or bool(training and cell.dropout)
            or not cell.use_bias
            or cell.activation is not tanh
            or cell.recurrent_activation is not sigmoid
        )

    # Registered so that Bidirectional can copy them through their config.
    @keras.saving.register_keras_serializable(package="rnnstock")
    class FusedLSTM(keras.layers.LSTM):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.supports_jit = False  # XLA has no kernel for BlockLSTM

        def inner_loop(self, sequences, initial_state, mask, training=False):
            if plain_loop_needed(self, mask, training):
                return super().inner_loop(sequences, initial_state, mask, training=training)
            cell = self.cell
            h0, c0 = initial_state
            x = time_major(self, sequences)
            w = icfo(tf.concat([cell.kernel.value, cell.recurrent_kernel.value], axis=0))
            b = icfo(cell.bias.value)
            every_step = self.return_sequences

            # Each batch as two halves, two BlockLSTM ops that TensorFlow's two inter-op
            # threads (backend.TRAINING_INTEROP_THREADS) run side by side, and so are
            # their backward passes: a training uses both cores, as the tutorial's code
            # does, where one op's small products (32×126 by 126×500) gain nothing from a
            # second intra-op thread. Always two, whatever else is training, so a seed
            # gives the same weights every time. An odd batch gets one zero window so
            # that both halves have windows (the gradient of an empty half is garbage);
            # its outputs are dropped, so its share of every gradient is exactly zero.
            batch = tf.shape(x)[1]
            odd = batch % 2
            parts = [
                lstm_sequence(*part, w, b, every_step=every_step)
                for part in zip(
                    tf.split(tf.pad(x, [[0, 0], [0, odd], [0, 0]]), 2, axis=1),
                    tf.split(tf.pad(h0, [[0, odd], [0, 0]]), 2, axis=0),
                    tf.split(tf.pad(c0, [[0, odd], [0, 0]]), 2, axis=0),
                    strict=True,
                )
            ]
            c = tf.concat([p[1] for p in parts], axis=0)[:batch]
            if every_step:
                h = tf.concat([p[0] for p in parts], axis=1)[:, :batch]
                last, outputs = keras_outputs(self, h)
            else:
                last = tf.concat([p[0] for p in parts], axis=0)[:batch]
                outputs = last[:, None]
            return last, outputs, [last, c]

    @keras.saving.register_keras_serializable(package="rnnstock")
    class FusedGRU(keras.layers.GRU):
        def inner_loop(self, sequences, initial_state, mask, training=False):
            if plain_loop_needed(self, mask, training) or not self.cell.reset_after:
                return super().inner_loop(sequences, initial_state, mask, training=training)
            cell = self.cell
            h0 = initial_state[0] if isinstance(initial_state, list | tuple) else initial_state
            bias = cell.bias.value  # (2, 3 units): input bias, recurrent bias
            h = gru_sequence(
                time_major(self, sequences),
                h0,
                cell.kernel.value,
                cell.recurrent_kernel.value,
                bias[0],
                bias[1],
            )
            last, outputs = keras_outputs(self, h)
            return last, outputs, [last]

    return {"LSTM": FusedLSTM, "GRU": FusedGRU}


# How the fused LSTM's backward pass runs (bench levers ``lstm-grad-*``): "xla", the
# loop of ``lstm_gates_gradient`` compiled by XLA; "graph", the same loop as plain
# TensorFlow ops; "block", TensorFlow's registered gradient of BlockLSTM (BlockLSTMGrad).
LSTM_BACKWARD = "xla"


def lstm_sequence(x, h0, c0, w, b, *, every_step: bool = True):
    """Keras' LSTM (gates i, c, f, o in BlockLSTM's order) over a time-major sequence.

    ``x`` is (time, batch, inputs), ``w`` is the kernel over [x, h] (inputs + units,
    4 units), ``b`` the bias. Returns every state h (time, batch, units), or only the
    last one unless ``every_step``, and the last cell state c::

        i = σ(xh·Wi + bi)    f = σ(xh·Wf + bf)    o = σ(xh·Wo + bo)    c̃ = tanh(xh·Wc + bc)
        c ← f ⊙ c + i ⊙ c̃                        h ← o ⊙ tanh(c)

    The forward pass is TensorFlow's BlockLSTM, which keeps every intermediate. The
    backward pass (``LSTM_BACKWARD``) is written out as cuDNN does it: a loop from the
    last step to the first that carries only the gradients of h and c and keeps each
    step's gate gradients, then the weights' gradient as one product over every step
    and sample, instead of BlockLSTMGrad's one small product per step.
    """
    import tensorflow as tf

    def forward(x, h0, c0, w, b):
        no_peephole = tf.zeros([tf.shape(h0)[1]], dtype=x.dtype)
        return tf.raw_ops.BlockLSTM(
            seq_len_max=tf.shape(x, out_type=tf.int64)[0],
            x=x,
            cs_prev=c0,
            h_prev=h0,
            w=w,
            wci=no_peephole,
            wcf=no_peephole,
            wco=no_peephole,
            b=b,
            forget_bias=0.0,  # Keras puts its forget bias in b
            cell_clip=-1.0,  # no clipping, as Keras
            use_peephole=False,
        )

    def outputs(h, cs):
        return (h if every_step else h[-1]), cs[-1]

    if LSTM_BACKWARD == "block":
        _, cs, _, _, _, _, h = forward(x, h0, c0, w, b)
        return outputs(h, cs)

    @tf.custom_gradient
    def sequence(x, h0, c0, w, b):
        i, cs, f, o, ci, co, h = forward(x, h0, c0, w, b)

        def backward(d_h, d_c):
            steps, batch = tf.shape(x)[0], tf.shape(x)[1]
            inputs, units = tf.shape(x)[2], tf.shape(h0)[1]
            # TensorFlow passes zeros for an output nothing used; a tape may pass None.
            d_h = tf.zeros_like(h if every_step else h0) if d_h is None else d_h
            d_c = tf.zeros_like(c0) if d_c is None else d_c
            if every_step:
                d_h_steps, d_h = d_h, tf.zeros_like(h0)
            else:
                d_h_steps = None
            loop = _xla(lstm_gates_gradient) if LSTM_BACKWARD == "xla" else lstm_gates_gradient
            d_gates, d_h0, d_c0 = loop(
                d_h_steps, d_h, d_c, i, cs, f, o, ci, co, c0, tf.transpose(w[inputs:])
            )
            # The weights' and the bias's gradients as ONE product over every step and
            # sample: [x, h₋₁, 1]ᵀ·d_gates, where h₋₁ is each step's previous state.
            h_prev = tf.concat([h0[None], h[:-1]], axis=0)
            ones = tf.ones_like(x[..., :1])
            rows = steps * batch
            xh1 = tf.reshape(tf.concat([x, h_prev, ones], axis=-1), (rows, -1))
            d_flat = tf.reshape(d_gates, (rows, 4 * units))
            d_wb = tf.matmul(xh1, d_flat, transpose_a=True)
            d_w, d_b = d_wb[:-1], d_wb[-1]
            # The inputs' gradient (a stacked or bidirectional LSTM's lower layer), one
            # product; TensorFlow drops it when nothing asks for it (the model's input).
            d_x = tf.reshape(tf.matmul(d_flat, w[:inputs], transpose_b=True), tf.shape(x))
            return d_x, d_h0, d_c0, d_w, d_b

        return outputs(h, cs), backward

    return sequence(x, h0, c0, w, b)


def lstm_gates_gradient(d_h_steps, d_h, d_c, i, cs, f, o, ci, co, c0, recurrent_t):
    """The LSTM's backward loop, from the last step to the first, from BlockLSTM's outputs.

    ``d_h_steps`` is the gradient of every step's h (time, batch, units), or None when
    only the last h had one (``d_h``); ``d_c`` is the last c's gradient,
    ``recurrent_t`` the transposed recurrent kernel (4 units, units). Returns the
    gradients of every step's gates before their activations (time, batch, 4 units,
    i c f o), and those of h0 and c0. Each step: one (batch, 4 units)·(4 units, units)
    product and a few elementwise ops.
    """
    import tensorflow as tf

    steps = tf.shape(i)[0]

    def step(t, d_h, d_c, d_gates):
        t = t - 1
        if d_h_steps is not None:
            d_h = d_h + d_h_steps[t]
        i_t, f_t, o_t, ci_t, co_t = i[t], f[t], o[t], ci[t], co[t]
        c_prev = tf.where(t > 0, cs[tf.maximum(t - 1, 0)], c0)
        d_cs = d_c + d_h * o_t * (1.0 - co_t * co_t)
        d_t = tf.concat(
            [
                d_cs * ci_t * i_t * (1.0 - i_t),
                d_cs * i_t * (1.0 - ci_t * ci_t),
                d_cs * c_prev * f_t * (1.0 - f_t),
                d_h * co_t * o_t * (1.0 - o_t),
            ],
            axis=-1,
        )
        return t, tf.matmul(d_t, recurrent_t), d_cs * f_t, d_gates.write(t, d_t)

    d_gates = tf.TensorArray(i.dtype, size=steps, element_shape=(c0.shape[0], recurrent_t.shape[0]))
    _, d_h0, d_c0, d_gates = tf.while_loop(lambda t, *_: t > 0, step, (steps, d_h, d_c, d_gates))
    return d_gates.stack(), d_h0, d_c0


@cache
def _xla(function):
    """``function`` as one XLA program (a TensorFlow function called from the graph)."""
    import tensorflow as tf

    return tf.function(function, jit_compile=True, autograph=False)


def gru_sequence(x, h0, kernel, recurrent_kernel, input_bias, recurrent_bias):
    """Keras' GRU (``reset_after=True``, gates z, r, h) over a time-major sequence.

    ``x`` is (time, batch, inputs); returns every state, (time, batch, units)::

        z = σ(x·Wz + bz + h·Uz + b'z)        r = σ(x·Wr + br + h·Ur + b'r)
        h̃ = tanh(x·Wh + bh + r ⊙ (h·Uh + b'h))      h ← z ⊙ h + (1 − z) ⊙ h̃
    """
    import tensorflow as tf

    units = recurrent_kernel.shape[0]

    @tf.custom_gradient
    def forward(x, h0, kernel, recurrent_kernel, input_bias, recurrent_bias):
        steps = tf.shape(x)[0]
        # The input side of every step at once: one product instead of one per step.
        x_side = tf.einsum("tbi,ij->tbj", x, kernel) + input_bias

        def step(t, h, states, zs, rs, candidates, h_sides):
            h_side = tf.matmul(h, recurrent_kernel) + recurrent_bias
            xz, xr, xh = tf.split(x_side[t], 3, axis=-1)
            hz, hr, hh = tf.split(h_side, 3, axis=-1)
            z = tf.sigmoid(xz + hz)
            r = tf.sigmoid(xr + hr)
            candidate = tf.tanh(xh + r * hh)
            h = z * h + (1.0 - z) * candidate
            return (
                t + 1,
                h,
                states.write(t, h),
                zs.write(t, z),
                rs.write(t, r),
                candidates.write(t, candidate),
                h_sides.write(t, hh),
            )

        def stack():
            return tf.TensorArray(x.dtype, size=steps)

        loop = tf.while_loop(
            lambda t, *_: t < steps, step, (0, h0, stack(), stack(), stack(), stack(), stack())
        )
        states, zs, rs, candidates, h_sides = (array.stack() for array in loop[2:])

        def backward(d_states):
            previous = tf.concat([h0[None], states[:-1]], axis=0)

            def back_step(t, dh, d_x_sides, d_h_sides):
                t = t - 1
                dh = dh + d_states[t]
                z, r, candidate = zs[t], rs[t], candidates[t]
                d_z = dh * (previous[t] - candidate) * z * (1.0 - z)
                d_candidate = dh * (1.0 - z) * (1.0 - candidate * candidate)
                d_r = d_candidate * h_sides[t] * r * (1.0 - r)
                d_h_side = tf.concat([d_z, d_r, d_candidate * r], axis=-1)
                d_x_side = tf.concat([d_z, d_r, d_candidate], axis=-1)
                dh = dh * z + tf.matmul(d_h_side, recurrent_kernel, transpose_b=True)
                return t, dh, d_x_sides.write(t, d_x_side), d_h_sides.write(t, d_h_side)

            back = tf.while_loop(
                lambda t, *_: t > 0, back_step, (steps, tf.zeros_like(h0), stack(), stack())
            )
            d_h0, d_x_side, d_h_side = back[1], back[2].stack(), back[3].stack()
            rows = steps * tf.shape(x)[1]
            # The weights' gradients: one product over every step and sample.
            d_recurrent = tf.matmul(
                tf.reshape(previous, (rows, units)),
                tf.reshape(d_h_side, (rows, 3 * units)),
                transpose_a=True,
            )
            d_kernel = tf.matmul(
                tf.reshape(x, (rows, -1)),
                tf.reshape(d_x_side, (rows, 3 * units)),
                transpose_a=True,
            )
            d_x = tf.einsum("tbj,ij->tbi", d_x_side, kernel)
            return (
                d_x,
                d_h0,
                d_kernel,
                d_recurrent,
                tf.reduce_sum(d_x_side, axis=(0, 1)),
                tf.reduce_sum(d_h_side, axis=(0, 1)),
            )

        return states, backward

    return forward(x, h0, kernel, recurrent_kernel, input_bias, recurrent_bias)

"""Shared by the RNN demos, without numpy: how many row blocks each cell's weights have."""

N_GATES = {"rnn": 1, "lstm": 4, "gru": 3}  # row blocks in weight_ih/weight_hh (PyTorch layout): LSTM i,f,g,o; GRU r,z,n

import torch

WIDTH = torch.zeros(3)[5]  # IndexError at import time, line 3

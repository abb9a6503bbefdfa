# The smallest useful rcform tree: one supervised process.
#
#   rcform validate examples/hello
#   rcform compile examples/hello --out .rcform/hello.json
#   rcform show compiled .rcform/hello.json hello
#
# A real deployment would run a daemon in the foreground here (s6 supervises the process it
# starts, so it must not fork into the background); this one greets every few seconds.
longrun "hello" {
  description = "Prints a greeting every five seconds"
  run         = ["sh", "-c", "while :; do echo 'hello from rcform'; sleep 5; done"]
}

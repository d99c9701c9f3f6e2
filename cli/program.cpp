// The corosim executable: the library main over the bundled scenarios.
#include "corosim/cli/cli.h"

int main(int argc, char** argv) { return corosim::main(argc, argv); }

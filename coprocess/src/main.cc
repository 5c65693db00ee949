#include "coprocess_app.h"

int main(int argc, char** argv) { return coproc::run_coprocess(argc, argv); }

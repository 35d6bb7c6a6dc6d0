// The build's identity, generated at build time by cmake/IffWriteVersion.cmake: recorded in
// every output's provenance and printed by `ifactflow --version`.
#pragma once

namespace iff {

const char* git_commit();       ///< the commit the binary was built from ("unknown" outside git)
const char* project_version();  ///< the project's version (CMakeLists.txt)

}  // namespace iff

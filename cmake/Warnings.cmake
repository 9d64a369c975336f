# Warning set after ccache's DevModeWarnings; -Werror only where asked (CI).
set(IMGDEPLOY_WARNINGS
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual
  -Wnull-dereference -Wcast-align -Wformat=2 -Wimplicit-fallthrough
  -Wmissing-declarations)
if(IMGDEPLOY_WERROR)
  list(APPEND IMGDEPLOY_WARNINGS -Werror)
endif()
# Assertions stay on in every build type: invariants are checked in release too.
add_compile_definitions(_GLIBCXX_ASSERTIONS)
string(REPLACE "-DNDEBUG" "" CMAKE_CXX_FLAGS_RELWITHDEBINFO "${CMAKE_CXX_FLAGS_RELWITHDEBINFO}")
string(REPLACE "-DNDEBUG" "" CMAKE_CXX_FLAGS_RELEASE "${CMAKE_CXX_FLAGS_RELEASE}")
function(imgdeploy_warnings target)
  target_compile_options(${target} PRIVATE ${IMGDEPLOY_WARNINGS})
endfunction()

# cmake -DDIR=<dir> [-DKEEP=<dir>] -P fresh_dir.cmake
# DIR exists and is empty afterwards; KEEP exists, its files untouched.
if(NOT DIR)
  message(FATAL_ERROR "fresh_dir.cmake: DIR is not set")
endif()
file(REMOVE_RECURSE ${DIR})
file(MAKE_DIRECTORY ${DIR})
if(KEEP)
  file(MAKE_DIRECTORY ${KEEP})
endif()

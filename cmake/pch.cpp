// Holds the project's shared precompiled header (cmake/KioskTargets.cmake); no code of its own.

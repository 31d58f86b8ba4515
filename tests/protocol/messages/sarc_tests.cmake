# Included from tests/protocol/messages/CMakeLists.txt.
countersign_add_qtest(test_sarc
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_sarc.cpp
    LIBRARIES countersign_protocol
    LABELS unit)

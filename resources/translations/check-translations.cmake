# cmake -DLUPDATE=... -DTS_FILES=a.ts;b.ts -DSOURCES_FILE=list -DWORK_DIR=dir
#       -DSTAMP=file -P check-translations.cmake
# Runs lupdate on a copy of each .ts file and warns (never fails) about
# strings that have no finished translation or whose source text is gone.
file(MAKE_DIRECTORY "${WORK_DIR}")
file(STRINGS "${SOURCES_FILE}" sources)
list(JOIN sources "\n" source_lines)
file(WRITE "${WORK_DIR}/sources.lst" "${source_lines}\n")
foreach(ts IN LISTS TS_FILES)
    get_filename_component(name "${ts}" NAME)
    set(copy "${WORK_DIR}/${name}")
    file(COPY_FILE "${ts}" "${copy}")
    execute_process(
        COMMAND "${LUPDATE}" -silent -locations none "@${WORK_DIR}/sources.lst" -ts "${copy}"
        RESULT_VARIABLE result
        OUTPUT_VARIABLE output
        ERROR_VARIABLE output)
    if(NOT result EQUAL 0)
        message(WARNING "lupdate could not check ${name}: ${output}")
        continue()
    endif()
    file(READ "${copy}" content)
    string(REGEX MATCHALL "type=\"unfinished\"" unfinished "${content}")
    string(REGEX MATCHALL "type=\"(vanished|obsolete)\"" gone "${content}")
    list(LENGTH unfinished unfinished_count)
    list(LENGTH gone gone_count)
    if(unfinished_count GREATER 0 OR gone_count GREATER 0)
        message(WARNING "${name}: ${unfinished_count} string(s) without a finished translation, "
            "${gone_count} translation(s) whose source text is gone. Refresh the file with "
            "`cmake --build <build> --target countersign_lupdate`, translate it in Qt Linguist "
            "(linguist ${ts}) and mark the entries finished.")
    endif()
endforeach()
file(TOUCH "${STAMP}")
